"""Scene simulator and engine evaluation.

* :mod:`frontdesk.sim.world`: world and camera frames, head pose from a facing direction;
* :mod:`frontdesk.sim.layout`: the default counter, camera placement and zones;
* :mod:`frontdesk.sim.scene`: people as moving heads with a gaze;
* :mod:`frontdesk.sim.generate`: random scenes from a seed;
* :mod:`frontdesk.sim.script`: scripted scenes from YAML;
* :mod:`frontdesk.sim.render`: scenes as perception's ``FrameObservation`` records, with noise;
* :mod:`frontdesk.sim.truth`: ground truth and the truth file format;
* :mod:`frontdesk.sim.observations`: observations.jsonl writer and reader;
* :mod:`frontdesk.sim.runs`: a run folder (observations, truth, config);
* :mod:`frontdesk.sim.evaluate`: engine over observations, matched and scored;
* :mod:`frontdesk.sim.benchmark`: the accuracy regression table.

Modules are imported on demand (``frontdesk.sim.face_render`` needs OpenCV);
this package imports nothing itself.
"""
