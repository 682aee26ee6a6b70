# Configuration file for ipcontroller (C++ ipp-cpp; same names as ipyparallel 7.1).
#
# Written by `ipcluster profile create`. Every line is commented out: the
# values shown are the defaults. Uncomment and edit what you need.

c = get_config()  # noqa

#------------------------------------------------------------------------------
# Where the controller listens
#------------------------------------------------------------------------------

# Address for every socket (engines and clients). '*' or '0.0.0.0' listens
# on all interfaces: needed when engines or clients run on other hosts.
# c.IPController.ip = '127.0.0.1'
# Only the engines' or only the clients' side:
# c.IPController.engine_ip = '127.0.0.1'
# c.IPController.client_ip = '127.0.0.1'

# Host name or IP written into the connection files, used by engines and
# clients to reach a controller listening on all interfaces.
# c.IPController.location = ''   # default: this host's name

# Ports: a list/range to take ports from (all sockets), or per side.
# c.IPController.ports = []
# c.IPController.engine_ports = []
# c.IPController.client_ports = []

# ssh server engines (and clients) tunnel through, written into the files.
# c.IPController.engine_ssh_server = ''
# c.IPController.ssh_server = ''

#------------------------------------------------------------------------------
# Connection files and restarts
#------------------------------------------------------------------------------

# Keep the same ports and key across restarts (engines and clients can
# reconnect with their old files).
# c.IPController.reuse_files = False
# After a restart, take back engines registered before (needs reuse_files).
# c.IPController.restore_engines = False

#------------------------------------------------------------------------------
# Task database
#------------------------------------------------------------------------------

# 'DictDB' (in memory), 'SQLiteDB' (tasks.db in the profile), 'NoDB'.
# c.IPController.db_class = 'DictDB'
# c.SQLiteDB.filename = 'tasks.db'
# c.SQLiteDB.table = 'ipython-tasks'
# c.DictDB.record_limit = 1024
# c.DictDB.size_limit = 1073741824

#------------------------------------------------------------------------------
# Scheduling and heartbeat
#------------------------------------------------------------------------------

# 'leastload', 'lru', 'twobin', 'weighted', 'plainrandom', 'pure'.
# c.TaskScheduler.scheme_name = 'leastload'
# Tasks an engine may hold before it counts as busy (0: no limit).
# c.TaskScheduler.hwm = 0
# Milliseconds between heartbeats, and missed beats before an engine is
# considered dead.
# c.HeartMonitor.period = 3000
# c.HeartMonitor.max_heartmonitor_misses = 10

#------------------------------------------------------------------------------
# Session
#------------------------------------------------------------------------------

# c.Session.signature_scheme = 'hmac-sha256'
# c.Session.keyfile = ''
