// Placeholder until the streaming gunzip lands.
