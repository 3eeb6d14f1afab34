"""Many states choosing sides: the alignment game of all UN members."""
