"""Line protocol: the rules (:mod:`.rules`), an encoder per input type beside them
(mappings, :class:`~influxkit.Point`, ``@lineprotocol`` classes, pandas, polars), and
the one dispatcher every write goes through (:mod:`.serialize`).

The encoders import the rules and :mod:`.lines`, never the dispatcher; no I/O here.
"""
