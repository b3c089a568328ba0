// Placeholder: nginx, script server, fds and PKI land here.
