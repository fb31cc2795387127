"""The sales plugin's own pages, mounted under ``/sales`` (``register_pages``): lead
conversion, the quote editor, orders, invoices and the forecast, each module a
blueprint whose views parse the request, call the plugin's services (or
``accord.services.actions.run_action``) with the reader, and render."""
