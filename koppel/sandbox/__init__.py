"""Local sandboxes of the PrestaShop webservice and the SnelStart B2B API.

They are part of the product: users try koppel on them before pointing it at
their shop, and every integration test runs against them on 127.0.0.1.
"""
