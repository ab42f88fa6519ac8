"""Training-free CAMs read out of a frozen CLIP (CLIP-ES, Lin et al., CVPR 2023; docs/METHOD.md §10).

gradcam.py: the image tower's forward to a Grad-CAM layer (ResNet and ViT CLIPs) and the class scores (softmax
over the class and background prompts); vit_attention.py: CLIP-ES's class-aware attention refinement (CAA);
background.py: the background-word lists; words.py: which word's prompt a class's CAM is computed for (class
name, POLE's selected word, fusion of the top words); maker.py: one image's CAM record.
"""
