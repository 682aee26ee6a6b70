# Configuration file for ipengine (C++ ipp-cpp with an embedded Python;
# same names as ipyparallel 7.1).
#
# Written by `ipcluster profile create`. Every line is commented out: the
# values shown are the defaults. Uncomment and edit what you need.

c = get_config()  # noqa

#------------------------------------------------------------------------------
# Finding the controller
#------------------------------------------------------------------------------

# Connection file (default: security/ipcontroller[-<cluster_id>]-engine.json
# in the profile) and how long to wait for it to appear.
# c.IPEngine.url_file = ''
# c.IPEngine.wait_for_url_file = 10
# Host of a controller that listens on all interfaces.
# c.IPEngine.location = ''
# Tunnel to the controller over ssh.
# c.IPEngine.sshserver = ''
# c.IPEngine.sshkey = ''
# Seconds to wait for the registration reply.
# c.IPEngine.timeout = 5.0
# Heartbeats the engine may miss before it gives up on the controller.
# c.IPEngine.max_heartbeat_misses = 50

#------------------------------------------------------------------------------
# Start-up
#------------------------------------------------------------------------------

# Code run in every engine's namespace at start, and a file to run.
# c.IPEngine.startup_command = ''
# c.IPEngine.startup_script = ''
# Working directory of the engine.
# c.IPEngine.work_dir = ''

#------------------------------------------------------------------------------
# MPI
#------------------------------------------------------------------------------

# Initialise mpi4py before running user code (also --mpi on the command line;
# the old c.MPI.use = 'mpi4py' means the same).
# c.IPEngine.use_mpi = False
# c.IPEngine.init_mpi = 'from mpi4py import MPI ...'
