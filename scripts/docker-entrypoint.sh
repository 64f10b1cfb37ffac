#!/bin/sh
# Entry point of the ocrflow Docker image: runs `ocrflow <args>` (default `run`) in the mounted repo, or any other
# command given (`bash`, `npm test`); checks the mount first and explains how to make it.
set -eu

OCRFLOW_HOME="${OCRFLOW_HOME:-/opt/ocrflow}"
OCRFLOW_WORKSPACE="${OCRFLOW_WORKSPACE:-/workspace}"

# ocrflow's commands (and options) go to ocrflow; a program found on PATH (bash, npm, node…) runs as given, as
# Docker users expect; any other word goes to ocrflow too, so commands added later need no change here.
is_ocrflow_command() {
  case "$1" in
    -*|run|status|dag|stage|predict|compare|metrics|bench|push|pull|fetch|add|checkout|gc|help) return 0 ;;
    */*) return 1 ;;
  esac
  ! command -v "$1" >/dev/null 2>&1
}

if [ "$#" -eq 0 ]; then
  set -- run
fi

if ! is_ocrflow_command "$1"; then
  exec "$@"
fi

if [ ! -d "$OCRFLOW_WORKSPACE" ]; then
  echo "ocrflow: $OCRFLOW_WORKSPACE does not exist: mount your repository there" >&2
  echo "  Linux/macOS: docker run --rm -it -v \"\$(pwd)\":/workspace ocrflow $*" >&2
  echo "  Windows:     docker run --rm -it -v \"%cd%\":/workspace ocrflow $*" >&2
  exit 2
fi
cd "$OCRFLOW_WORKSPACE"

# Commands that work on a pipeline need its dvc.yaml: say so clearly instead of a stack trace.
case "$1" in
  run|status|dag)
    if [ ! -f dvc.yaml ]; then
      echo "ocrflow: no dvc.yaml in $OCRFLOW_WORKSPACE: mount the ocrflow repository (or your pipeline) there" >&2
      echo "  Linux/macOS: docker run --rm -it -v \"\$(pwd)\":/workspace ocrflow $*" >&2
      echo "  Windows:     docker run --rm -it -v \"%cd%\":/workspace ocrflow $*" >&2
      exit 2
    fi
    ;;
esac

# Under `docker run --user $(id -u):$(id -g)` (files owned by you, not root) there is no writable home.
if [ -z "${HOME:-}" ] || [ ! -w "${HOME:-/nonexistent}" ]; then
  HOME="${TMPDIR:-/tmp}/ocrflow-home"
  mkdir -p "$HOME"
  export HOME
fi

# The mounted repo belongs to another user than the container's: let git (metrics diff, revisions) read it.
if command -v git >/dev/null 2>&1; then
  git config --global --add safe.directory "$OCRFLOW_WORKSPACE" >/dev/null 2>&1 || true
fi

exec node "$OCRFLOW_HOME/bin/ocrflow.js" "$@"
