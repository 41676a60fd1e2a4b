dnl rlock: build configuration. hiredis comes from pkg-config, or from --with-hiredis=DIR.

PHP_ARG_WITH([rlock],
  [for rlock support],
  [AS_HELP_STRING([--with-rlock], [Include rlock, the Redis lock extension])],
  [yes])

PHP_ARG_WITH([hiredis],
  [for the hiredis install prefix],
  [AS_HELP_STRING([--with-hiredis=DIR], [rlock: hiredis installed under DIR (default: found with pkg-config)])],
  [no],
  [no])

if test "$PHP_RLOCK" != "no"; then
  dnl The code uses PHP 8.2's API (zend_string_equals_cstr, #[\SensitiveParameter]): refuse older PHP here
  dnl rather than build a module that dies on first use.
  AC_MSG_CHECKING([for PHP 8.2 or later])
  rlock_php_vernum=`$PHP_CONFIG --vernum 2>/dev/null`
  rlock_php_version=`$PHP_CONFIG --version 2>/dev/null`
  if test -z "$rlock_php_vernum" || test "$rlock_php_vernum" -lt 80200; then
    AC_MSG_ERROR([rlock needs PHP 8.2 or later; $PHP_CONFIG reports $rlock_php_version])
  fi
  AC_MSG_RESULT([$rlock_php_version])
  rlock_tls_cflags=""
  if test "$PHP_HIREDIS" != "no" && test "$PHP_HIREDIS" != "yes"; then
    if test ! -r "$PHP_HIREDIS/include/hiredis/hiredis.h"; then
      AC_MSG_ERROR([hiredis.h not found under $PHP_HIREDIS/include/hiredis])
    fi
    PHP_ADD_INCLUDE([$PHP_HIREDIS/include])
    PHP_ADD_LIBRARY_WITH_PATH([hiredis], [$PHP_HIREDIS/$PHP_LIBDIR], [RLOCK_SHARED_LIBADD])
  else
    PKG_CHECK_MODULES([HIREDIS], [hiredis >= 0.14], [],
      [AC_MSG_ERROR([hiredis >= 0.14 not found: install libhiredis-dev, or pass --with-hiredis=DIR])])
    rlock_hiredis_version=`$PKG_CONFIG --modversion hiredis`
    AC_MSG_NOTICE([rlock: building against hiredis $rlock_hiredis_version])
    PHP_EVAL_INCLINE([$HIREDIS_CFLAGS])
    PHP_EVAL_LIBLINE([$HIREDIS_LIBS], [RLOCK_SHARED_LIBADD])
    dnl TLS (rediss://) needs hiredis >= 1.0 built with its hiredis_ssl library, and OpenSSL;
    dnl without them (and with --with-hiredis=DIR) rlock builds all the same and refuses
    dnl rediss:// with a message saying why.
    PKG_CHECK_MODULES([RLOCK_TLS], [hiredis_ssl >= 1.0 openssl], [rlock_tls=yes], [rlock_tls=no])
    AC_MSG_NOTICE([rlock: TLS (hiredis_ssl >= 1.0 and OpenSSL): $rlock_tls])
    if test "$rlock_tls" = "yes"; then
      PHP_EVAL_INCLINE([$RLOCK_TLS_CFLAGS])
      PHP_EVAL_LIBLINE([$RLOCK_TLS_LIBS], [RLOCK_SHARED_LIBADD])
      rlock_tls_cflags="-DRLOCK_HAVE_TLS=1"
    fi
  fi

  PHP_NEW_EXTENSION([rlock],
    [php_rlock.c src/pid.c src/token.c src/failure.c src/errors.c src/object.c src/uri.c src/connect.c src/conn.c src/fanout.c src/cluster.c src/protocol.c src/scripts.c src/keys.c src/options.c src/lease.c src/queue.c src/single.c src/redlock.c src/interrupt.c src/wait.c src/watchdog.c src/lock.c src/claim.c src/outcome.c src/idempotency.c src/permits.c src/semaphore.c src/answer.c src/reentry.c src/sentinel.c src/replicas.c src/tls.c src/tls_option.c],
    [$ext_shared], [], [-DZEND_ENABLE_STATIC_TSRMLS_CACHE=1 -Wall -Wextra -Wno-unused-parameter $rlock_tls_cflags])
  PHP_ADD_LIBRARY([pthread], [1], [RLOCK_SHARED_LIBADD])
  PHP_ADD_BUILD_DIR([$ext_builddir/src])
  PHP_SUBST([RLOCK_SHARED_LIBADD])
fi
