// Placeholder: the dnsmasq fixture and DNS responder land here.
