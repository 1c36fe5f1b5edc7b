"""Run the real thing as child processes, for the tests and the benchmarks alike.

`server` starts the project's server (Daphne through `attendance_project.serve`, production
settings) on a free port and waits for /healthz; `redis_server` a private redis-server;
`seed` fills a server's database with a class of token-only users; `processes` holds
free_port, RSS reading and stopping a child. Nothing here imports pytest, so `bench/`
uses it as it is.
"""
