#!/bin/sh
# SmokePing's own CGI, showing the PingER RRDs: install as
# /usr/lib/cgi-bin/pinger-smokeping.cgi (mode 755) next to Debian's smokeping.cgi, after
#   pinger-smokeping smokeping-config --rrd /var/lib/pinger-smokeping/rrd \
#       -o /etc/pinger-smokeping/smokeping.conf
# Never start SmokePing's daemon with that config: it would ping the PingER targets from this
# host and write its own measurements into the PingER files.
exec /usr/share/smokeping/smokeping.cgi /etc/pinger-smokeping/smokeping.conf
