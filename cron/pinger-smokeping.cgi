#!/bin/sh
# SmokePing's own CGI, showing the PingER RRDs, at http://HOST/cgi-bin/pinger-smokeping.cgi.
# The config is the one the nightly unit writes after each update
# (pinger-smokeping smokeping-config -o /var/lib/pinger-smokeping/smokeping.conf).
# Never start SmokePing's daemon with that config: it would ping the PingER targets from this
# host and write its own measurements into the PingER files.
exec /usr/share/smokeping/smokeping.cgi /var/lib/pinger-smokeping/smokeping.conf
