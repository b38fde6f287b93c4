# hwinv probe: one POSIX sh script per extraction, fed on stdin (`sh -s`) locally or over SSH.
#
# hwinv prepends two lines: HWINV_B=<random boundary> and HWINV_SECTIONS=<space-separated list or "all">.
# Every section runs in the background under its own time bound, writing to a private temp dir; then the
# sections are printed in a fixed order, each framed as
#   <B> begin NAME
#   ...stdout...
#   <B> stderr NAME
#   ...stderr...
#   <B> end NAME EXIT_STATUS TIMED_OUT(0|1)
# and the whole output ends with "<B> done". A newline is printed before each marker so a section whose
# output lacks a final newline still frames; the reader strips exactly that one newline.
# Commands are called by name (never by absolute path) so the user's PATH decides, as a login would.

umask 077
T=$(mktemp -d 2>/dev/null || { d="${TMPDIR:-/tmp}/hwinv.$$"; mkdir -m 700 "$d" && echo "$d"; }) || exit 70
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP
LC_ALL=C
export LC_ALL
ORDER=""

# run NAME SECONDS COMMAND [ARGS...]: start a bounded section in the background.
run() {
  n=$1
  s=$2
  shift 2
  case " $HWINV_SECTIONS " in
    *" all "* | *" $n "*) ;;
    *) return 0 ;;
  esac
  ORDER="$ORDER $n"
  (
    "$@" >"$T/$n.out" 2>"$T/$n.err" </dev/null &
    p=$!
    (
      trap 'kill "$sp" 2>/dev/null; exit 0' TERM
      sleep "$s" &
      sp=$!
      wait "$sp"
      : >"$T/$n.timeout"
      kill -TERM "$p" 2>/dev/null
      sleep 1
      kill -KILL "$p" 2>/dev/null
    ) >/dev/null 2>&1 &
    w=$!
    wait "$p"
    echo $? >"$T/$n.rc"
    kill -TERM "$w" 2>/dev/null
  ) &
}

# need TOOL: exit 127 (reported as "missing") when TOOL is not on PATH.
need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "$1: command not found" >&2
    exit 127
  }
}

# Print every existing file as "path:value" lines; unreadable files go to stderr.
show() {
  for f in "$@"; do
    [ -e "$f" ] || continue
    if [ -r "$f" ]; then
      v=$(tr -d '\000' <"$f" 2>/dev/null) && printf '%s:%s\n' "$f" "$v"
    else
      echo "$f: Permission denied" >&2
    fi
  done
  return 0
}

sec_uname() { uname -s && uname -n && uname -r && uname -m; }
sec_os_release() { cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release; }
sec_cpu_topology() {
  show /sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id \
    /sys/devices/system/cpu/cpu[0-9]*/topology/core_id \
    /sys/devices/cpu_core/cpus /sys/devices/cpu_atom/cpus
}
sec_memory_blocks() {
  show /sys/devices/system/memory/block_size_bytes /sys/devices/system/memory/memory[0-9]*/online
}
sec_dmi() {
  show /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name /sys/class/dmi/id/product_version \
    /sys/class/dmi/id/product_serial /sys/class/dmi/id/board_vendor /sys/class/dmi/id/board_name \
    /sys/class/dmi/id/chassis_type /proc/device-tree/model /proc/device-tree/serial-number
}
sec_lsblk() {
  need lsblk
  lsblk -J -b -d -o NAME,SIZE,TYPE,MODEL,SERIAL,TRAN,ROTA,RM,VENDOR 2>/dev/null || lsblk -J -b -d
}
sec_ip_addr() {
  need ip
  ip -j addr show
}
sec_net_sysfs() {
  show /sys/class/net/*/address /sys/class/net/*/operstate /sys/class/net/*/speed /sys/class/net/*/mtu \
    /sys/class/net/*/type 2>/dev/null
}
sec_nvidia_smi() {
  need nvidia-smi
  nvidia-smi -q -x
}
sec_mac_hostname() {
  need scutil
  scutil --get LocalHostName
}
sec_sw_vers() {
  need sw_vers
  sw_vers
}
sec_sysctl() { sysctl hw machdep kern; }
sec_rosetta() { sysctl -n sysctl.proc_translated; }
sec_sp() {
  need system_profiler
  system_profiler -json "$1"
}
sec_ifconfig() {
  need ifconfig
  ifconfig -a
}

kernel=$(uname -s 2>/dev/null)
printf '%s hwinv-probe 1 %s\n' "$HWINV_B" "$kernel"
run uname 5 sec_uname
case "$kernel" in
  Darwin)
    run hostname 5 sec_mac_hostname
    run sw_vers 5 sec_sw_vers
    run sysctl 5 sec_sysctl
    run rosetta 5 sec_rosetta
    # system_profiler stalls for seconds (SPHardwareDataType waits on the Activation Lock check): bounded,
    # and run side by side so the slowest one sets the pace.
    run sp_hardware "${HWINV_SLOW_TIMEOUT:-8}" sec_sp SPHardwareDataType
    run sp_displays "${HWINV_SLOW_TIMEOUT:-8}" sec_sp SPDisplaysDataType
    run sp_storage "${HWINV_SLOW_TIMEOUT:-8}" sec_sp SPStorageDataType
    run ifconfig 5 sec_ifconfig
    ;;
  *)
    run os_release 5 sec_os_release
    run cpuinfo 5 cat /proc/cpuinfo
    run cpu_topology 5 sec_cpu_topology
    run meminfo 5 cat /proc/meminfo
    run memory_blocks 5 sec_memory_blocks
    run dmi 5 sec_dmi
    run lsblk 5 sec_lsblk
    run ip_addr 5 sec_ip_addr
    run net_sysfs 5 sec_net_sysfs
    run nvidia_smi "${HWINV_SLOW_TIMEOUT:-8}" sec_nvidia_smi
    ;;
esac
wait
for n in $ORDER; do
  printf '\n%s begin %s\n' "$HWINV_B" "$n"
  cat "$T/$n.out" 2>/dev/null
  printf '\n%s stderr %s\n' "$HWINV_B" "$n"
  cat "$T/$n.err" 2>/dev/null
  t=0
  [ -e "$T/$n.timeout" ] && t=1
  printf '\n%s end %s %s %s\n' "$HWINV_B" "$n" "$(cat "$T/$n.rc" 2>/dev/null || echo 255)" "$t"
done
printf '%s done\n' "$HWINV_B"
