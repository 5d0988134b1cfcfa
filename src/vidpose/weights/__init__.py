"""Model weights shipped inside the package (read with importlib.resources).

``lifter_default.pt``: the lifter ``vidpose predict VIDEO`` uses when no checkpoint is given,
trained by ``make shipped-lifter`` on licence-free data only (docs/video.md).
"""
