//! The process figures every Prometheus client exports under the same names: resident and
//! virtual memory, CPU seconds, open and allowed file descriptors, start time. Read from
//! `/proc/self` on Linux; elsewhere each figure is absent rather than wrong.

use std::{fs, time::SystemTime};

use serde::Serialize;

/// The process's figures at one moment; a figure the system would not give is `None`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessFigures {
    /// Resident memory, in bytes.
    pub resident_bytes: Option<u64>,
    /// Virtual memory, in bytes.
    pub virtual_bytes: Option<u64>,
    /// User and system CPU time, in seconds.
    pub cpu_seconds: Option<f64>,
    /// File descriptors open now.
    pub open_fds: Option<u64>,
    /// The most file descriptors the process may open.
    pub max_fds: Option<u64>,
    /// When the process started, in seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

impl ProcessFigures {
    /// Reads the figures now.
    pub fn read() -> ProcessFigures {
        let stat = fs::read_to_string("/proc/self/stat").ok();
        let fields = stat.as_deref().and_then(stat_fields);
        let ticks = rustix::param::clock_ticks_per_second() as f64;
        let page = rustix::param::page_size() as u64;
        let field = |index: usize| {
            fields
                .as_ref()
                .and_then(|f| f.get(index)?.parse::<u64>().ok())
        };
        ProcessFigures {
            resident_bytes: field(21).map(|pages| pages * page),
            virtual_bytes: field(20),
            cpu_seconds: field(11)
                .zip(field(12))
                .map(|(user, system)| (user + system) as f64 / ticks),
            open_fds: fs::read_dir("/proc/self/fd")
                .ok()
                .map(|dir| dir.count() as u64),
            max_fds: max_fds(),
            start_time_seconds: field(19).and_then(|since_boot| start_time(since_boot, ticks)),
        }
    }
}

/// The fields of `/proc/self/stat` after the command name (which may hold spaces and
/// parentheses, so the split starts after its last `)`): index 0 is the state.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    Some(after_name.split_whitespace().collect())
}

fn max_fds() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The process's start, from its start in clock ticks after boot and the boot time.
fn start_time(since_boot_ticks: u64, ticks_per_second: f64) -> Option<f64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let boot: f64 = stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let started = boot + since_boot_ticks as f64 / ticks_per_second;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    (started <= now + 1.0).then_some(started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn reads_this_process() {
        let figures = ProcessFigures::read();
        assert!(figures.resident_bytes.unwrap() > 0);
        assert!(figures.virtual_bytes.unwrap() >= figures.resident_bytes.unwrap());
        assert!(figures.open_fds.unwrap() >= 3);
        assert!(figures.max_fds.unwrap() >= figures.open_fds.unwrap());
        assert!(figures.cpu_seconds.unwrap() >= 0.0);
        assert!(figures.start_time_seconds.unwrap() > 1.6e9);
    }

    #[test]
    fn the_command_name_may_hold_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 1 2 3";
        assert_eq!(stat_fields(stat).unwrap(), ["S", "1", "2", "3"]);
    }
}
