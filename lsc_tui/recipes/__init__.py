"""Model recipes, the GGUF header reader, downloads and the local model store.

Import the submodules directly (``lsc_tui.recipes.catalog``, ``.store``, ...); this
package imports nothing eagerly so that ``lsc --help`` stays instant.
"""
