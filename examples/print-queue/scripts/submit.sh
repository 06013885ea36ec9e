#!/bin/sh
# The submit button: see lib/printqueue.py.
exec python3 "$(dirname "$0")/lib/printqueue.py" submit
