# Campaigns, the SQLite store and reports: libyaml (experiment files),
# SQLite (results), GSL (statistics).
LDLIBS += -lyaml -lsqlite3 -lgsl -lgslcblas
