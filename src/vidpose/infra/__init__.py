"""What every part leans on: the one user-error type, safe writes and reads of users' files,
progress, devices and the config-section loader. Imports nothing else of vidpose."""
