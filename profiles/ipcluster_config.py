# Configuration file for ipcluster (C++ ipp-cpp; same names as ipyparallel 7.1).
#
# Written by `ipcluster profile create`. Every line is commented out: the
# values shown are the defaults. Uncomment and edit what you need. This is
# real Python: loops, `import os` and `get_config()` work as usual.

c = get_config()  # noqa

#------------------------------------------------------------------------------
# Cluster: what `ipcluster start` launches
#------------------------------------------------------------------------------

# Number of engines to start (None: the launcher decides; local/MPI: the
# number of CPUs; SSH: every engine SSHEngineSetLauncher.engines names).
# c.Cluster.n = None

# How to launch the controller and the engines: 'local', 'mpi', 'ssh',
# 'sshproxy' (engines only), 'pbs', 'sge', 'slurm', 'lsf', 'htcondor',
# 'batch', or a full class path such as
# 'ipyparallel.cluster.launcher.SSHEngineSetLauncher'. Any case.
# c.Cluster.controller_launcher_class = 'local'
# c.Cluster.engine_launcher_class = 'local'

# Address the controller listens on (adds --ip=<value> to its arguments).
# Engines on other hosts need one they can reach, e.g. '*' (all
# interfaces). ipcluster warns when remote engines meet a loopback-only
# controller.
# c.Cluster.controller_ip = ''

# Host name or IP written into the connection files for the others to
# connect to (adds --location=<value>).
# c.Cluster.controller_location = ''

# Extra arguments for the controller (as after `ipcluster start --`).
# c.Cluster.controller_args = []

# Seconds between starting the controller and the engines.
# c.Cluster.delay = 1.0

# Seconds `ipcluster start --daemonize` waits for all engines to register
# before it returns (the cluster keeps running either way).
# c.Cluster.engine_timeout = 60

# Give engines the connection info in $IPP_CONNECTION_INFO.
# c.Cluster.send_engines_connection_env = True

#------------------------------------------------------------------------------
# ipcluster start / engines / stop / list / clean
#------------------------------------------------------------------------------

# Return once the cluster is up instead of staying in the foreground.
# c.IPClusterEngines.daemonize = False

# If the engines stop within this many seconds, assume they could not
# connect and stop the cluster with an error.
# c.IPClusterEngines.early_shutdown = 30

# Delete old ipcontroller-*/ipengine-* logs in <profile>/log at start.
# c.IPClusterStart.clean_logs = True

# ipcluster stop --all: stop every cluster of the profile.
# c.IPClusterStop.all_cluster_ids = False

# ipcluster list -o json
# c.IPClusterList.output_format = 'text'

#------------------------------------------------------------------------------
# Every launcher
#------------------------------------------------------------------------------

# Seconds between SIGTERM and SIGKILL when stopping a process.
# c.LocalProcessLauncher.stop_seconds_until_kill = 5
# Seconds to wait for a process to end after SIGKILL.
# c.BaseLauncher.stop_timeout = 60
# Lines of a failed process's log shown in the error message.
# c.BaseLauncher.output_limit = 100
# Extra environment variables for launched processes.
# c.BaseLauncher.environment = {}
# Seconds to wait for the controller to answer after starting it.
# c.BaseLauncher.connection_info_timeout = 60.0

#------------------------------------------------------------------------------
# Local controller and engines
#------------------------------------------------------------------------------

# Commands that start them. Default: the ipcontroller and ipengine next to
# this ipcluster. The Python ones work too:
# c.LocalControllerLauncher.controller_cmd = ['/usr/bin/python3', '-m', 'ipyparallel.controller']
# c.LocalEngineSetLauncher.engine_cmd = ['/usr/bin/python3', '-m', 'ipyparallel.engine']
# c.LocalControllerLauncher.controller_args = []
# c.LocalEngineSetLauncher.engine_args = ['--log-level=20']
# Seconds between starting two engines.
# c.LocalEngineSetLauncher.delay = 0.1

#------------------------------------------------------------------------------
# MPI: mpiexec -n <n> <mpi_args> ipengine --mpi ...
#------------------------------------------------------------------------------

# c.MPILauncher.mpi_cmd = ['mpiexec']
# c.MPILauncher.mpi_args = []          # e.g. ['--hostfile', '/path/hosts']
# c.MPIEngineSetLauncher.engine_args = ['--log-level=20']

#------------------------------------------------------------------------------
# SSH: engines (and optionally the controller) on other hosts
#------------------------------------------------------------------------------

# Hosts and engine counts, in order:
# c.SSHEngineSetLauncher.engines = {
#     'host1.example.com': 2,                           # 2 engines
#     'alice@host2.example.com:2222': 4,                # user and ssh port
#     'host3': {'n': 3, 'engine_args': ['--debug']},    # per-host settings
# }
# c.SSHLauncher.user = ''
# c.SSHLauncher.ssh_args = []
# c.SSHLauncher.remote_python = 'python3'
# Profile directory on the remote hosts (default: the local one, relative
# to the home directory).
# c.SSHLauncher.remote_profile_dir = ''
# Files to copy; [] means a shared file system (copy nothing).
# c.SSHLauncher.to_send = []
# c.SSHLauncher.to_fetch = []
# Controller over ssh:
# c.SSHControllerLauncher.hostname = ''
# c.SSHControllerLauncher.controller_args = ['--ip=*']

#------------------------------------------------------------------------------
# Batch systems: PBS, SGE, Slurm, LSF, HTCondor
#------------------------------------------------------------------------------

# Queue (partition) for the jobs.
# c.BatchSystemLauncher.queue = ''
# Your own job script, as text or file; {n}, {queue}, {profile_dir},
# {cluster_id}, {program_and_args} and Python expressions such as {n//4}
# are filled in.
# c.PBSEngineSetLauncher.batch_template_file = 'pbs.engine.template'
# c.PBSControllerLauncher.batch_template_file = 'pbs.controller.template'
# c.SlurmLauncher.account = ''
# c.SlurmLauncher.qos = ''
# c.SlurmLauncher.timelimit = ''
