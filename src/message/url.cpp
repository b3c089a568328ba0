// Placeholder until the URL parser lands.
