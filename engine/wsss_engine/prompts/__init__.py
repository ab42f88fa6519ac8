"""Prompt strategies of the paper's Table 1 (METHOD §2.4): fixed templates, CoOp, target optimisation and
POLE's modified DeFo, for the train_clims stage."""
