"""The acknowledgement engine: pure, no clock reads, no I/O."""
