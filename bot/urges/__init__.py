"""Help in the hard minute: urges, reasons, coping steps."""
