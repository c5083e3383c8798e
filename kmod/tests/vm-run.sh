#!/bin/bash
# On the host: build the module and the test programs, then run every kmod
# guest step (tests/vm/steps/NN-kmod-*.sh, the launcher suite in kmod mode among them) in one VM boot.  Extra arguments go to vm.sh run
# before the steps (e.g. --timeout 1500).  Steps: see kmod/README.md.
set -euo pipefail
P=$(cd "$(dirname "$0")/../.." && pwd)
cd "$P"
tests/vm/vm.sh prepare >/dev/null
make -s -C kmod
exec tests/vm/vm.sh run --timeout 1500 "$@" tests/vm/steps/[0-9]*-kmod-*.sh
