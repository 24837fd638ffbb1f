//! How much memory this process may still use: the smaller of the
//! machine's available memory (`MemAvailable` in /proc/meminfo) and the
//! room left under a cgroup limit (v2 `memory.max` − `memory.current`, or
//! v1's `memory.limit_in_bytes` − `memory.usage_in_bytes`), so
//! a job in a container is judged by its container's limit. `None` where
//! neither can be read (not Linux): preflight checks then let jobs run.

use std::fs;

/// Bytes this process may still allocate, if the system says.
pub fn available_bytes() -> Option<u64> {
    let machine = fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let groups = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let read = |path: String| {
        fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    let room = |max: Option<u64>, current: Option<u64>| Some(max?.saturating_sub(current?));
    // cgroup v2 ("0::/path") or v1's memory controller ("N:memory:/path").
    let cgroup = groups.lines().find_map(|line| {
        if let Some(path) = line.strip_prefix("0::") {
            let dir = format!("/sys/fs/cgroup{}", path.trim_end_matches('/'));
            room(
                read(format!("{dir}/memory.max")),
                read(format!("{dir}/memory.current")),
            )
        } else if let Some((_, path)) = line.split_once(":memory:") {
            let dir = format!("/sys/fs/cgroup/memory{}", path.trim_end_matches('/'));
            room(
                read(format!("{dir}/memory.limit_in_bytes")),
                read(format!("{dir}/memory.usage_in_bytes")),
            )
        } else {
            None
        }
    });
    match (machine, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn available_memory_is_positive_where_the_system_reports_it() {
        if let Some(bytes) = super::available_bytes() {
            assert!(bytes > 0);
        }
    }
}
