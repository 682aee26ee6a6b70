// SPDX-License-Identifier: BSD-3-Clause
// Thin entry point: all logic lives in ipp_app so tests can reach it.
#include "ipp/app/controller_app.hpp"

int main(int argc, char** argv) { return ipp::app::run_controller(argc, argv); }
