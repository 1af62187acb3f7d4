"""Quality assurance over recorded calls: the recordings archive and the call view.

``archive`` lists and searches recordings for ``/qa/recordings``; ``call_view`` gathers
everything ``/qa/calls/<call-id>`` shows (facts, IVR path and sensitive spans on the
recording's time axis, transcript); ``waveform`` draws a recording's peaks for the player.
"""
