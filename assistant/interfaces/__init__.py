"""Stage 7, the interfaces: the command line, the chat page (``web``) and evaluation."""
