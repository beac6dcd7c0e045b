/* SPDX-License-Identifier: MIT */
/*
 * duration.c --- durations as operators write them ("90s", "1h30m", "1.5h",
 * "7d", "2w"), parsed like Go's time.ParseDuration but in whole seconds
 * and with days and weeks; and compact formatting of durations for
 * reports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <drydock/duration.h>
#include <drydock/errors.h>

#define NS_PER_S 1000000000LL

struct unit {
	const char *name;
	int64_t seconds;
};

static const struct unit units[] = {
    {"s", 1},
    {"m", 60},
    {"h", 3600},
    {"d", 86400},
    {"w", 604800},
};

/* Units Go accepts that are finer than the second we count in. */
static const char *const subsecond_units[] = {
    "ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms"};

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
bad(const char *s, const char *why)
{
	drydock_error_set(
	    DRYDOCK_ERRCLASS_INVALID, "invalid duration '%s': %s", s, why);
	return DRYDOCK_ECORRUPT;
}

static int
overflow(const char *s)
{
	return bad(s, "too large (at most 36500d)");
}

/*
 * Read the unit at *p: its length goes to *len.  Returns the unit or NULL
 * (the message is then set and *err holds the code).
 */
static const struct unit *
read_unit(const char *s, const char *p, size_t *len, int *err)
{
	size_t n = 0, i;

	while (p[n] != '\0' && p[n] != '.' && !is_digit(p[n]))
		n++;
	*len = n;
	if (n == 0) {
		*err = bad(s, "missing unit (use s, m, h, d or w)");
		return NULL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, p, n) == 0)
			return &units[i];
	for (i = 0; i < sizeof(subsecond_units) / sizeof(subsecond_units[0]);
	     i++)
		if (strlen(subsecond_units[i]) == n &&
		    memcmp(subsecond_units[i], p, n) == 0) {
			*err = bad(s,
			    "units below a second are not supported "
			    "(use s, m, h, d or w)");
			return NULL;
		}
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "invalid duration '%s': unknown unit '%.*s' (use s, m, h, d or w)",
	    s, (int)n, p);
	*err = DRYDOCK_ECORRUPT;
	return NULL;
}

/*
 * Parse one "<number><unit>" at *pp, adding it to *secs and *nanos
 * (fractions of a second, below NS_PER_S).
 */
static int
parse_term(const char *s, const char **pp, int64_t *secs, int64_t *nanos)
{
	const char *p = *pp;
	int64_t whole = 0, frac = 0, scale = NS_PER_S, add, carry;
	const struct unit *u;
	size_t ulen;
	int digits = 0, err = 0;

	for (; is_digit(*p); p++, digits++) {
		if (whole > (INT64_MAX - (*p - '0')) / 10)
			return overflow(s);
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		/* Fractions count in nanoseconds; finer digits are dropped. */
		for (p++; is_digit(*p); p++, digits++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (digits == 0)
		return bad(s, "expected a number");
	if ((u = read_unit(s, p, &ulen, &err)) == NULL)
		return err;
	if (whole > INT64_MAX / u->seconds)
		return overflow(s);
	/* frac < 1e9 and seconds <= 604800: the product fits. */
	frac *= u->seconds;
	*nanos += frac % NS_PER_S;
	carry = frac / NS_PER_S;
	if (*nanos >= NS_PER_S) {
		*nanos -= NS_PER_S;
		carry++;
	}
	add = whole * u->seconds;
	if (add > INT64_MAX - carry)
		return overflow(s);
	add += carry;
	if (*secs > INT64_MAX - add)
		return overflow(s);
	*secs += add;
	*pp = p + ulen;
	return 0;
}

int
drydock_duration_parse(int64_t *seconds_out, const char *s)
{
	const char *p = s;
	int64_t secs = 0, nanos = 0;
	int error;

	if (s == NULL || *s == '\0')
		return bad(s == NULL ? "" : s, "empty");
	if (*p == '-')
		return bad(s, "negative durations are not allowed");
	if (*p == '+')
		p++;
	if (strcmp(p, "0") == 0) {
		*seconds_out = 0;
		return 0;
	}
	if (*p == '\0')
		return bad(s, "expected a number");
	while (*p != '\0')
		if ((error = parse_term(s, &p, &secs, &nanos)) < 0)
			return error;
	if (nanos != 0)
		return bad(s, "not a whole number of seconds");
	if (secs > DRYDOCK_DURATION_MAX_SECONDS)
		return overflow(s);
	*seconds_out = secs;
	return 0;
}

char *
drydock_duration_format(char *buf, unsigned long bufsz, int64_t seconds)
{
	static const struct unit parts[] = {
	    {"d", 86400},
	    {"h", 3600},
	    {"m", 60},
	    {"s", 1},
	};
	char tmp[64];
	size_t n = 0, i;
	uint64_t left;

	if (seconds < 0) {
		tmp[n++] = '-';
		left = (uint64_t)(-(seconds + 1)) + 1;
	} else
		left = (uint64_t)seconds;
	if (left == 0)
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "0s");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]) && left > 0; i++) {
		uint64_t q = left / (uint64_t)parts[i].seconds;

		if (q == 0)
			continue;
		left -= q * (uint64_t)parts[i].seconds;
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%" PRIu64 "%s",
		    q, parts[i].name);
	}
	if (bufsz > 0)
		snprintf(buf, bufsz, "%s", tmp);
	return buf;
}
