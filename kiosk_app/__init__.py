"""Ward Kiosk application: settings, events, pipeline, Kivy UI and the ``kiosk`` command."""

__version__ = "0.1.0"
