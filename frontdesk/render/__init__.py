"""Rendered counter footage with ground truth, made from real face photographs.

* :mod:`frontdesk.render.scene_file`: scene files (the simulator's scripted scene plus
  looks and render settings);
* :mod:`frontdesk.render.faces`: the face photographs and the looks that vary them;
* :mod:`frontdesk.render.raster`: fast drawing of the face mesh and of shaded solids;
* :mod:`frontdesk.render.figure`: a person (body, head, hair, face);
* :mod:`frontdesk.render.backdrop`: the room and the counter;
* :mod:`frontdesk.render.compose`: frames of a scene;
* :mod:`frontdesk.render.clip`: a clip and its truth file on disk;
* :mod:`frontdesk.render.evaluate`: perception and the engine over a clip, scored against the truth;
* :mod:`frontdesk.render.demo_scene`: the demo's counter scene.

Modules are imported on demand (they need OpenCV, and faces need MediaPipe);
this package imports nothing itself. See docs/rendering.md.
"""
