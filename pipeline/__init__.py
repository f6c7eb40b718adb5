"""``pipeline/`` is the source folder of the ``servicelens`` package (like a ``src/`` layout), not a
package of its own: nothing named ``pipeline`` is installed."""
raise ImportError("'pipeline' is the source folder of servicelens, not a package: use 'import servicelens'")
