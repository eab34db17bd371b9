"""The fair waiting list of an event (ARCHITECTURE.md, rule 13).

- entries.py: joining (quantity, highest price, section or ticket type) and leaving;
- offers.py: a listing held for the list, offered to one fan at a time for a
  window (windows.py), accepted by buying it, declined, let lapse, passed on,
  or released to everyone when nobody matches;
- raffles.py: a window whose joiners are placed in a seeded, audited random order;
- selectors.py: the reads the pages and the API share.
"""
