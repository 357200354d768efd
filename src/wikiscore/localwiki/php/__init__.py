"""PHP support files for the local wiki (a package only so that they ship with wikiscore).

``settings.php`` (appended to LocalSettings.php), ``router.php`` (request log and fault
injection in front of MediaWiki), ``create_users.php`` (a maintenance script).
"""
