"""The payments pages: checkout, after the sale, payouts; and Stripe's webhook."""
