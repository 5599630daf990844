"""What each webservice resource looks like: fields, envelopes, associations.

Field lists and their order follow the records a real PrestaShop 1.7/8 shop
returns (``/work/shared/prestashop/real/test-shop-records.jsonl``), so a
client that works here works against a real shop.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LINKS", "RESOURCES", "Association", "ResourceSpec", "WRITABLE"]


@dataclass(frozen=True)
class Association:
    """A list of sub-records under ``associations`` (``order_rows``, ``taxes``)."""

    name: str
    node: str
    fields: tuple[str, ...] = ("id",)
    api: str | None = None


@dataclass(frozen=True)
class ResourceSpec:
    """One resource of the webservice and the rules its queries follow."""

    name: str
    singular: str
    fields: tuple[str, ...]
    plural: str = ""
    i18n: frozenset[str] = frozenset()
    getters: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    associations: tuple[Association, ...] = ()
    shop_scoped: bool = False
    required: frozenset[str] = frozenset()

    @property
    def envelope(self) -> str:
        """The plural key of list responses (not always the URL segment)."""
        return self.plural or self.name

    def association(self, name: str) -> Association | None:
        """The association called ``name``, if the resource has one."""
        return next((a for a in self.associations if a.name == name), None)


def _f(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_DATES = frozenset({"date_add", "date_upd"})

_ORDER_ROW = Association(
    "order_rows",
    "order_row",
    _f(
        "id product_id product_attribute_id product_quantity product_name "
        "product_reference product_ean13 product_isbn product_upc product_price "
        "id_customization unit_price_tax_incl unit_price_tax_excl"
    ),
)

_SPECS = (
    ResourceSpec(
        "orders",
        "order",
        _f(
            "id id_address_delivery id_address_invoice id_cart id_currency id_lang "
            "id_customer id_carrier current_state module invoice_number "
            "invoice_date delivery_number delivery_date valid date_add date_upd "
            "shipping_number note id_shop_group id_shop secure_key payment "
            "recyclable gift gift_message mobile_theme total_discounts "
            "total_discounts_tax_incl total_discounts_tax_excl total_paid "
            "total_paid_tax_incl total_paid_tax_excl total_paid_real "
            "total_products total_products_wt total_shipping "
            "total_shipping_tax_incl total_shipping_tax_excl carrier_tax_rate "
            "total_wrapping total_wrapping_tax_incl total_wrapping_tax_excl "
            "round_mode round_type conversion_rate reference"
        ),
        getters=frozenset({"shipping_number"}),
        dates=_DATES | {"invoice_date", "delivery_date"},
        associations=(_ORDER_ROW,),
        shop_scoped=True,
    ),
    ResourceSpec(
        "order_details",
        "order_detail",
        _f(
            "id id_order product_id product_attribute_id "
            "product_quantity_reinjected group_reduction discount_quantity_applied "
            "download_hash download_deadline id_order_invoice id_warehouse id_shop "
            "id_customization product_name product_quantity "
            "product_quantity_in_stock product_quantity_return "
            "product_quantity_refunded product_price reduction_percent "
            "reduction_amount reduction_amount_tax_incl reduction_amount_tax_excl "
            "product_quantity_discount product_ean13 product_isbn product_upc "
            "product_mpn product_reference product_supplier_reference "
            "product_weight tax_computation_method id_tax_rules_group ecotax "
            "ecotax_tax_rate download_nb unit_price_tax_incl unit_price_tax_excl "
            "total_price_tax_incl total_price_tax_excl "
            "total_shipping_price_tax_excl total_shipping_price_tax_incl "
            "purchase_supplier_price original_product_price "
            "original_wholesale_price total_refunded_tax_excl "
            "total_refunded_tax_incl"
        ),
        dates=frozenset({"download_deadline"}),
        associations=(Association("taxes", "tax", api="taxes"),),
    ),
    ResourceSpec(
        "order_histories",
        "order_history",
        _f("id id_employee id_order_state id_order date_add"),
        dates=_DATES,
    ),
    ResourceSpec(
        "order_states",
        "order_state",
        _f(
            "id unremovable delivery hidden send_email module_name invoice color "
            "logable shipped paid pdf_delivery pdf_invoice deleted name template"
        ),
        i18n=frozenset({"name", "template"}),
    ),
    ResourceSpec(
        "order_carriers",
        "order_carrier",
        _f(
            "id id_order id_carrier id_order_invoice weight shipping_cost_tax_excl "
            "shipping_cost_tax_incl tracking_number date_add"
        ),
        dates=_DATES,
    ),
    ResourceSpec(
        "order_payments",
        "order_payment",
        _f(
            "id order_reference id_currency amount payment_method conversion_rate "
            "transaction_id card_number card_brand card_expiration card_holder "
            "date_add"
        ),
        dates=_DATES,
    ),
    ResourceSpec(
        "order_invoices",
        "order_invoice",
        _f(
            "id id_order number delivery_number delivery_date "
            "total_discount_tax_excl total_discount_tax_incl total_paid_tax_excl "
            "total_paid_tax_incl total_products total_products_wt "
            "total_shipping_tax_excl total_shipping_tax_incl "
            "shipping_tax_computation_method total_wrapping_tax_excl "
            "total_wrapping_tax_incl shop_address note date_add"
        ),
        dates=_DATES | {"delivery_date"},
    ),
    ResourceSpec(
        "order_cart_rules",
        "order_cart_rule",
        _f(
            "id id_order id_cart_rule id_order_invoice name value value_tax_excl "
            "free_shipping deleted"
        ),
    ),
    ResourceSpec(
        "order_slip",
        "order_slip",
        _f(
            "id id_customer id_order conversion_rate total_products_tax_excl "
            "total_products_tax_incl total_shipping_tax_excl "
            "total_shipping_tax_incl amount shipping_cost shipping_cost_amount "
            "partial date_add date_upd order_slip_type"
        ),
        plural="order_slips",
        dates=_DATES,
    ),
    ResourceSpec(
        "customers",
        "customer",
        _f(
            "id id_default_group id_lang newsletter_date_add "
            "ip_registration_newsletter last_passwd_gen secure_key deleted passwd "
            "lastname firstname email id_gender birthday newsletter optin website "
            "company siret ape outstanding_allow_amount show_public_prices id_risk "
            "max_payment_days active note is_guest id_shop id_shop_group date_add "
            "date_upd reset_password_token reset_password_validity"
        ),
        dates=_DATES | {"newsletter_date_add", "last_passwd_gen"},
        associations=(Association("groups", "group", api="groups"),),
        shop_scoped=True,
    ),
    ResourceSpec(
        "addresses",
        "address",
        _f(
            "id id_customer id_manufacturer id_supplier id_warehouse id_country "
            "id_state alias company lastname firstname vat_number address1 "
            "address2 postcode city other phone phone_mobile dni deleted date_add "
            "date_upd"
        ),
        dates=_DATES,
    ),
    ResourceSpec(
        "countries",
        "country",
        _f(
            "id id_zone id_currency call_prefix iso_code active contains_states "
            "need_identification_number need_zip_code zip_code_format "
            "display_tax_label name"
        ),
        i18n=frozenset({"name"}),
    ),
    ResourceSpec(
        "currencies",
        "currency",
        _f(
            "id names name symbol iso_code numeric_iso_code precision "
            "conversion_rate deleted active unofficial modified pattern"
        ),
        i18n=frozenset({"name"}),
    ),
    ResourceSpec(
        "carriers",
        "carrier",
        _f(
            "id deleted is_module id_tax_rules_group id_reference name active "
            "is_free url shipping_handling shipping_external range_behavior "
            "shipping_method max_width max_height max_depth max_weight grade "
            "external_module_name need_range position delay"
        ),
        i18n=frozenset({"delay"}),
    ),
    ResourceSpec(
        "products",
        "product",
        _f(
            "id id_manufacturer id_supplier id_category_default new "
            "cache_default_attribute id_default_image id_default_combination "
            "id_tax_rules_group position_in_category manufacturer_name quantity "
            "type id_shop_default reference supplier_reference location width "
            "height depth weight quantity_discount ean13 isbn upc mpn "
            "cache_is_pack cache_has_attachments is_virtual state "
            "additional_delivery_times delivery_in_stock delivery_out_stock "
            "product_type on_sale online_only ecotax minimal_quantity "
            "low_stock_threshold low_stock_alert price wholesale_price unity "
            "unit_price_ratio additional_shipping_cost customizable text_fields "
            "uploadable_files active redirect_type id_type_redirected "
            "available_for_order available_date show_condition condition "
            "show_price indexed visibility advanced_stock_management date_add "
            "date_upd pack_stock_type meta_description meta_keywords meta_title "
            "link_rewrite name description description_short available_now "
            "available_later"
        ),
        i18n=frozenset(
            _f(
                "delivery_in_stock delivery_out_stock meta_description "
                "meta_keywords meta_title link_rewrite name description "
                "description_short available_now available_later"
            )
        ),
        getters=frozenset({"manufacturer_name", "quantity", "position_in_category"}),
        dates=_DATES,
        associations=(
            Association("categories", "category", api="categories"),
            Association("images", "image", api="images"),
            Association("combinations", "combination", api="combinations"),
            Association(
                "product_option_values",
                "product_option_value",
                api="product_option_values",
            ),
            Association(
                "product_features", "product_feature", ("id", "id_feature_value")
            ),
            Association(
                "stock_availables",
                "stock_available",
                ("id", "id_product_attribute"),
                api="stock_availables",
            ),
        ),
        required=frozenset({"price", "name"}),
    ),
    ResourceSpec(
        "combinations",
        "combination",
        _f(
            "id id_product location ean13 isbn upc mpn quantity reference "
            "supplier_reference wholesale_price price ecotax weight "
            "unit_price_impact minimal_quantity low_stock_threshold "
            "low_stock_alert default_on available_date"
        ),
        associations=(
            Association(
                "product_option_values",
                "product_option_value",
                api="product_option_values",
            ),
            Association("images", "image", api="images"),
        ),
    ),
    ResourceSpec(
        "stock_availables",
        "stock_available",
        _f(
            "id id_product id_product_attribute id_shop id_shop_group quantity "
            "depends_on_stock out_of_stock location"
        ),
        shop_scoped=True,
        required=frozenset(
            _f("id_product id_product_attribute quantity depends_on_stock")
        )
        | {"out_of_stock"},
    ),
    ResourceSpec(
        "shops",
        "shop",
        _f("id id_shop_group id_category active deleted name color theme_name"),
    ),
    ResourceSpec(
        "shop_groups",
        "shop_group",
        _f("id name color share_customer share_order share_stock active deleted"),
    ),
    ResourceSpec(
        "taxes",
        "tax",
        _f("id rate active deleted name"),
        i18n=frozenset({"name"}),
    ),
    ResourceSpec(
        "tax_rule_groups",
        "tax_rule_group",
        _f("id name active deleted date_add date_upd"),
        dates=_DATES,
    ),
    ResourceSpec(
        "tax_rules",
        "tax_rule",
        _f(
            "id id_tax_rules_group id_state id_country zipcode_from zipcode_to "
            "id_tax behavior description"
        ),
    ),
    ResourceSpec(
        "cart_rules",
        "cart_rule",
        _f(
            "id id_customer date_from date_to description quantity "
            "quantity_per_user priority partial_use code minimum_amount "
            "minimum_amount_tax minimum_amount_currency minimum_amount_shipping "
            "country_restriction carrier_restriction group_restriction "
            "cart_rule_restriction product_restriction shop_restriction "
            "free_shipping reduction_percent reduction_amount reduction_tax "
            "reduction_currency reduction_product reduction_exclude_special "
            "gift_product gift_product_attribute highlight active date_add "
            "date_upd name"
        ),
        i18n=frozenset({"name"}),
        dates=_DATES | {"date_from", "date_to"},
    ),
)

RESOURCES: dict[str, ResourceSpec] = {spec.name: spec for spec in _SPECS}

# Resources that accept PUT (the later export direction writes stock and prices).
WRITABLE = frozenset({"products", "stock_availables"})

# Foreign keys that XML output links with ``xlink:href`` (field -> resource).
LINKS: dict[str, str] = {
    "id_address_delivery": "addresses",
    "id_address_invoice": "addresses",
    "id_cart": "carts",
    "id_currency": "currencies",
    "id_lang": "languages",
    "id_customer": "customers",
    "id_carrier": "carriers",
    "current_state": "order_states",
    "id_order_state": "order_states",
    "id_shop_group": "shop_groups",
    "id_shop": "shops",
    "id_order": "orders",
    "product_id": "products",
    "id_product": "products",
    "product_attribute_id": "combinations",
    "id_product_attribute": "combinations",
    "id_country": "countries",
    "id_state": "states",
    "id_zone": "zones",
    "id_tax": "taxes",
    "id_tax_rules_group": "tax_rule_groups",
    "id_default_group": "groups",
    "id_employee": "employees",
    "id_order_invoice": "order_invoices",
    "id_cart_rule": "cart_rules",
    "id_manufacturer": "manufacturers",
    "id_supplier": "suppliers",
    "id_category_default": "categories",
}
