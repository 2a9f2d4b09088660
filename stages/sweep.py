"""The sweep: fine-tune with each configuration, score on the validation split (see gemelo.sweep)."""
from gemelo.sweep import main

main()
