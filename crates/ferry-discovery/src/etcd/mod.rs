//! etcd as a registry: servers register under a lease, clients list then watch.
