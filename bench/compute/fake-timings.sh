# Sourced by bench/compute/run*.sh. Upstream's fake driver (the reference) spends no time
# in any step of a spawn, migration or power change; unless FAKE_TIMINGS=default,
# Cloudlet's simulated hosts are set the same, so both clouds measure the control plane
# alone (the defaults, 10-50 ms per step, model a hypervisor's own time).
if [ "${FAKE_TIMINGS:-zero}" = zero ]; then
  export OS_FAKE_DRIVER__SPAWN_TIME=0 OS_FAKE_DRIVER__POWER_TIME=0 OS_FAKE_DRIVER__REBOOT_TIME=0 \
    OS_FAKE_DRIVER__DESTROY_TIME=0 OS_FAKE_DRIVER__SNAPSHOT_TIME=0 OS_FAKE_DRIVER__MIGRATE_TIME=0
fi
