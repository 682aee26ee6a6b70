// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>

#include "ipp/wire/message.hpp"

namespace ipp::hub {

// Everything the Hub asks the outside world to do. The controller
// implements it with its sockets (and its links to the schedulers and the
// heart monitor); tests record the calls. Calls are made synchronously from
// inside the Hub's input methods, on the Hub's thread. Exceptions thrown
// here propagate out of that input method.
//
// Messages are complete but unsigned: send them with the same
// wire::Session the Hub was given (Session::send signs and encodes).
class HubOutput {
 public:
  virtual ~HubOutput() = default;

  // A reply for the query/registration ROUTER. reply.identities holds
  // exactly the requester's routing id, so
  // session.send(query_socket, std::move(reply)) routes it.
  virtual void send_query_reply(wire::Message&& reply) = 0;

  // A message for the notification PUB socket: registration_notification,
  // unregistration_notification or shutdown_notification. No identities
  // (no topic frame: clients subscribe to everything).
  virtual void publish_notification(wire::Message&& notification) = 0;

  // An engine completed registration (its heart beat) or, on --restore,
  // was restored: the schedulers may route to it from now on. Called just
  // before the registration_notification is published (not at all for
  // restore, which publishes nothing).
  virtual void engine_registered(int id, const std::string& uuid) = 0;

  // A registered engine left (unregistration_request, IOPub shutdown_reply
  // or stopped heart): the schedulers drop it (the task scheduler fails its
  // tasks, schedulers.md "engine death"). Called just before the
  // unregistration_notification is published.
  virtual void engine_unregistered(int id, const std::string& uuid) = 0;

  // A resubmitted request for the task scheduler, to be handled exactly as
  // a load-balanced request from a client (hub.py sends it on its
  // `resubmit` DEALER to the scheduler's client-facing ROUTER and discards
  // the reply, which reaches the hub anyway through outtask). No
  // identities; the request keeps the original client's header `session`.
  virtual void resubmit_task(wire::Message&& request) = 0;

  // A client asked the controller to shut down. The shutdown_reply and the
  // shutdown_notification have already been handed over; hub.py exits
  // 1 s later (status 0) so that they get out.
  virtual void request_shutdown() = 0;
};

}  // namespace ipp::hub
