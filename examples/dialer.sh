#!/bin/sh
# A dialer for rapport: set `dialer = "/path/to/dialer.sh {number}"` in
# [ui] of config.toml. rapport runs it without a shell, with the number
# folded to digits (and a leading +), then opens the call form, timed.
# Replace the line below with your softphone's command, e.g.
#   exec linphonecsh dial "$1"
#   exec baresip -e "/dial $1"
printf '%s dial %s\n' "$(date -u +%FT%TZ)" "$1" >> "${TMPDIR:-/tmp}/rapport-dialer.log"
