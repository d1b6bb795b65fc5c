"""The emulator's domain: state, records and rules, free of HTTP and sockets."""
