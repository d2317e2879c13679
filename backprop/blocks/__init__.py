"""Layers of stage three in the CS231n calling shape: forward -> (out, cache), backward(dout, cache) -> VJP."""
