//! Plain functions and closures registered by name at run time: the "dict of functions" style.

use std::{fmt, future::Future, marker::PhantomData};

use serde::de::{self, value::UnitDeserializer, DeserializeOwned, DeserializeSeed, IgnoredAny};
use serde::Deserialize;

use crate::{descriptor::ParamDescriptor, Codec, CodecError, Context};

/// A closure or `fn` callable with the argument tuple `Args`; implemented for every
/// `Fn(A, B, ...) -> impl Future` of up to six parameters, and for [`with_context`] around an
/// `Fn(Context, A, B, ...)`.
pub trait Function<Args>: Clone + Send + Sync + 'static {
    /// What the future yields.
    type Output: Send + 'static;
    /// The future a call returns.
    type Future: Future<Output = Self::Output> + Send + 'static;
    /// Calls the function with decoded arguments, in the call's context.
    fn invoke(&self, ctx: &Context, args: Args) -> Self::Future;
}

/// A function that takes the call's [`Context`] as its first argument; make one with
/// [`with_context`].
#[derive(Debug, Clone, Copy)]
pub struct WithContext<F>(F);

/// Marks `function` as taking the call's [`Context`] (owned) before its parameters, for
/// [`Router::function`](crate::Router::function) and
/// [`Router::try_function`](crate::Router::try_function).
///
/// ```
/// use ferry::{with_context, Context, Router};
///
/// let router = Router::new().function(
///     "util.hello",
///     [],
///     with_context(|ctx: Context| async move {
///         format!("hello {}", ctx.metadata("user").unwrap_or("stranger"))
///     }),
/// );
/// ```
pub fn with_context<F>(function: F) -> WithContext<F> {
    WithContext(function)
}

/// An argument tuple: decodes from a map of parameter names (or a positional array) and
/// describes its parameters.
pub trait FunctionArgs: Sized + Send + 'static {
    /// How many parameters.
    const ARITY: usize;
    /// Descriptors of the parameters, named `names`.
    fn params(names: &[&'static str]) -> Vec<ParamDescriptor>;
    /// Decodes arguments encoded with `codec`.
    fn decode(codec: Codec, body: &[u8], names: &[&'static str]) -> Result<Self, CodecError>;
}

/// Visits a map keyed by parameter name, or a positional sequence, into a tuple.
struct ArgsSeed<'n, T> {
    names: &'n [&'static str],
    tuple: PhantomData<T>,
}

fn missing<'de, T: Deserialize<'de>, E: de::Error>(name: &str) -> Result<T, E> {
    // Optional parameters (`Option<T>`) accept absence, as serde does for struct fields.
    T::deserialize(UnitDeserializer::<E>::new())
        .map_err(|_: E| E::custom(format_args!("missing parameter `{name}`")))
}

macro_rules! impl_function {
    ($arity:literal; $($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> Function<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: Send + 'static,
        {
            type Output = Fut::Output;
            type Future = Fut;

            #[allow(non_snake_case)]
            fn invoke(&self, _: &Context, ($($arg,)*): ($($arg,)*)) -> Fut {
                (self)($($arg),*)
            }
        }

        impl<F, Fut, $($arg,)*> Function<($($arg,)*)> for WithContext<F>
        where
            F: Fn(Context, $($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: Send + 'static,
        {
            type Output = Fut::Output;
            type Future = Fut;

            #[allow(non_snake_case)]
            fn invoke(&self, ctx: &Context, ($($arg,)*): ($($arg,)*)) -> Fut {
                (self.0)(ctx.clone(), $($arg),*)
            }
        }

        impl<$($arg,)*> FunctionArgs for ($($arg,)*)
        where
            $($arg: DeserializeOwned + schemars::JsonSchema + Send + 'static,)*
        {
            const ARITY: usize = $arity;

            #[allow(unused_variables, unused_mut)]
            fn params(names: &[&'static str]) -> Vec<ParamDescriptor> {
                let mut names = names.iter();
                vec![$(ParamDescriptor::required::<$arg>(names.next().copied().unwrap_or("?")),)*]
            }

            fn decode(codec: Codec, body: &[u8], names: &[&'static str]) -> Result<Self, CodecError> {
                let seed = ArgsSeed::<Self> { names, tuple: PhantomData };
                codec.decode_seed(body, seed)
            }
        }

        impl<'de, 'n, $($arg,)*> DeserializeSeed<'de> for ArgsSeed<'n, ($($arg,)*)>
        where
            $($arg: Deserialize<'de>,)*
        {
            type Value = ($($arg,)*);

            fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
                deserializer.deserialize_any(self)
            }
        }

        impl<'de, 'n, $($arg,)*> de::Visitor<'de> for ArgsSeed<'n, ($($arg,)*)>
        where
            $($arg: Deserialize<'de>,)*
        {
            type Value = ($($arg,)*);

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a map of the parameters {:?} or an array of them", self.names)
            }

            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn visit_map<M: de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                $(let mut $arg: Option<$arg> = None;)*
                while let Some(key) = map.next_key::<String>()? {
                    let position = self.names.iter().position(|name| *name == key);
                    let mut index = 0;
                    let mut taken = false;
                    $(
                        if position == Some(index) {
                            $arg = Some(map.next_value()?);
                            taken = true;
                        }
                        index += 1;
                    )*
                    if !taken {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                let mut index = 0;
                Ok(($(
                    {
                        let value = match $arg {
                            Some(value) => value,
                            None => missing::<$arg, M::Error>(self.names[index])?,
                        };
                        index += 1;
                        value
                    },
                )*))
            }

            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                let mut index = 0;
                let args = ($(
                    {
                        let value = match seq.next_element::<$arg>()? {
                            Some(value) => value,
                            None => missing::<$arg, S::Error>(self.names[index])?,
                        };
                        index += 1;
                        value
                    },
                )*);
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format_args!("expected at most {} arguments", $arity)));
                }
                Ok(args)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                self.visit_seq(de::value::SeqDeserializer::<std::iter::Empty<()>, E>::new(std::iter::empty()))
            }
        }
    };
}

impl_function!(0;);
impl_function!(1; A1);
impl_function!(2; A1, A2);
impl_function!(3; A1, A2, A3);
impl_function!(4; A1, A2, A3, A4);
impl_function!(5; A1, A2, A3, A4, A5);
impl_function!(6; A1, A2, A3, A4, A5, A6);
