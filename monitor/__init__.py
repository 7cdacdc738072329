"""claimwatch: watch health-claim pages and alert when their claims change.

The pipeline is visible in the module names::

    config → fetch → snapshots → extract → segment → claims → diff → store → alerts
                                                                    ↘ scheduler (daemon)
"""

__version__ = "0.1.0"
