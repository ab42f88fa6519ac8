"""IRN refinement (METHOD §4): dense CRF, IR labels, the IRN network and its loss, path indices, random walk."""
