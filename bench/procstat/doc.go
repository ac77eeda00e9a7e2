// Package procstat reads a Linux process's CPU time (/proc/PID/stat) and
// memory high-water mark (/proc/PID/status). The parsers are pure; Read
// and ReadStatus do the file I/O. make bench uses them to charge CPU and
// peak RSS to the edge agent, cloud-core and the baselines.
package procstat
