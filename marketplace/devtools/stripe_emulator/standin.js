/*
 * Additions to localstripe's stand-in Stripe.js (served just before this),
 * shaped as Stripe.js documents them:
 *
 * - stripe.createPaymentMethod({type: 'card', card: cardElement, billing_details})
 *   and the older createPaymentMethod('card', cardElement, {billing_details}):
 *   resolve {paymentMethod} or {error: {type, code, message}}, never throw;
 * - stripe.handleNextAction({clientSecret}): the same "Complete / Fail
 *   authentication" dialog as localstripe's confirmCardPayment, resolving
 *   {paymentIntent} or {error: {code: 'payment_intent_authentication_failure',
 *   message, payment_intent}}.
 */
(function () {
  'use strict';

  const base = window.LOCALSTRIPE_BASE_API ||
    (typeof LOCALSTRIPE_BASE_API !== 'undefined' ? LOCALSTRIPE_BASE_API : '');
  const localstripeFactory = window.Stripe;

  function validationError(code, message) {
    return {error: {type: 'validation_error', code: code, message: message}};
  }

  // The checks Stripe.js's card Element makes before anything is sent.
  function cardProblem(card) {
    const number = String(card.number || '').replace(/\s/g, '');
    const month = parseInt(card.exp_month, 10);
    const year = String(card.exp_year || '');
    const cvc = String(card.cvc || '');
    if (!number) {
      return validationError('incomplete_number', 'Your card number is incomplete.');
    }
    if (!/^\d+$/.test(number)) {
      return validationError('invalid_number', 'Your card number is invalid.');
    }
    if (number.length < 16) {
      return validationError('incomplete_number', 'Your card number is incomplete.');
    }
    if (!card.exp_month || !/^\d{4}$/.test(year)) {
      return validationError('incomplete_expiry', "Your card's expiration date is incomplete.");
    }
    if (!(month >= 1 && month <= 12)) {
      return validationError('invalid_expiry_month', "Your card's expiration month is invalid.");
    }
    const now = new Date();
    const thisYear = now.getFullYear();
    if (parseInt(year, 10) < thisYear ||
        (parseInt(year, 10) === thisYear && month < now.getMonth() + 1)) {
      return validationError('invalid_expiry_year_past',
                             "Your card's expiration year is in the past.");
    }
    if (!/^\d{3,4}$/.test(cvc)) {
      return validationError('incomplete_cvc', "Your card's security code is incomplete.");
    }
    return null;
  }

  // a[b][c]=value, as Stripe.js encodes nested parameters.
  function encode(prefix, value, parts) {
    if (value === undefined || value === null) {
      return parts;
    }
    if (typeof value === 'object') {
      Object.keys(value).forEach(function (key) {
        encode(prefix ? prefix + '[' + key + ']' : key, value[key], parts);
      });
    } else {
      parts.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(value));
    }
    return parts;
  }

  async function post(path, params) {
    try {
      const response = await fetch(base + path, {
        method: 'POST',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'},
        body: encode('', params, []).join('&'),
      });
      const body = await response.json().catch(function () { return {}; });
      return {ok: response.ok && !body.error, body: body};
    } catch (err) {
      return {ok: false, body: {error: {
        type: 'api_connection_error',
        message: 'The payment service could not be reached. Please try again.',
      }}};
    }
  }

  function withAdditions(stripe, apiKey) {
    stripe.createPaymentMethod = async function (typeOrData, element, data) {
      let params = typeOrData;
      if (typeof typeOrData === 'string') {  // the older (type, element, data) form
        params = Object.assign({}, data || {}, {type: typeOrData, card: element});
      }
      params = params || {};
      if (params.type !== 'card') {
        return {error: {type: 'invalid_request_error', code: 'parameter_invalid',
                        message: 'This stand-in only creates card payment methods.'}};
      }
      const card = (params.card && params.card.value && params.card.value.card) || {};
      const problem = cardProblem(card);
      if (problem) {
        return problem;
      }
      const result = await post('/v1/payment_methods', {
        key: apiKey,
        type: 'card',
        card: {
          number: String(card.number).replace(/\s/g, ''),
          exp_month: card.exp_month,
          exp_year: card.exp_year,
          cvc: card.cvc,
        },
        billing_details: params.billing_details,
      });
      if (!result.ok) {
        const error = result.body.error || {};
        return {error: {type: error.type || 'invalid_request_error', code: error.code,
                        message: error.message || 'The card could not be saved.'}};
      }
      return {paymentMethod: result.body};
    };

    stripe.handleNextAction = async function (options) {
      const clientSecret = (options || {}).clientSecret || '';
      const match = clientSecret.match(/^(pi_\w+?)_secret_/);
      if (!match) {
        return {error: {type: 'invalid_request_error', code: 'parameter_invalid',
                        message: 'handleNextAction needs the clientSecret of a PaymentIntent.'}};
      }
      const success = await openModal('3D Secure\nDo you want to confirm or cancel?',
                                      'Complete authentication', 'Fail authentication');
      const result = await post(
        '/v1/payment_intents/' + match[1] + '/_authenticate?success=' + success,
        {key: apiKey, client_secret: clientSecret});
      if (!result.ok) {
        return {error: result.body.error || {message: 'Authentication could not be completed.'}};
      }
      const intent = result.body;
      if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
        return {error: Object.assign({}, intent.last_payment_error, {payment_intent: intent})};
      }
      return {paymentIntent: intent};
    };
    return stripe;
  }

  window.Stripe = function (apiKey, options) {
    return withAdditions(localstripeFactory(apiKey, options), apiKey);
  };
})();
