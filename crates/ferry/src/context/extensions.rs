//! A map from a type to one value of it, for layers to hand data to handlers.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    fmt,
};

/// Values by type. Empty costs nothing: the map (and its hasher's keys) are made by the first
/// insert.
#[derive(Default)]
pub struct Extensions {
    // Boxed: a pointer in every call's context rather than a map's 48 bytes, moved with each
    // call into its handler's future.
    #[allow(clippy::box_collection)]
    values: Option<Box<HashMap<TypeId, Box<dyn AnyClone>>>>,
}

/// What a stored value must do: be shared across threads and copied with the context.
trait AnyClone: Any + Send + Sync {
    fn clone_box(&self) -> Box<dyn AnyClone>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + Clone + Send + Sync> AnyClone for T {
    fn clone_box(&self) -> Box<dyn AnyClone> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Extensions {
    /// Stores `value`, replacing the value of its type stored before.
    pub fn insert<T: Any + Clone + Send + Sync>(&mut self, value: T) {
        self.values
            .get_or_insert_with(Box::default)
            .insert(TypeId::of::<T>(), Box::new(value));
    }

    /// The value of type `T`, if one was stored.
    pub fn get<T: Any>(&self) -> Option<&T> {
        let value = self.values.as_ref()?.get(&TypeId::of::<T>())?;
        (**value).as_any().downcast_ref()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.values.as_ref().is_none_or(|values| values.is_empty())
    }
}

impl Clone for Extensions {
    fn clone(&self) -> Extensions {
        let values = self.values.as_ref().map(|values| {
            let copied = values
                .iter()
                .map(|(id, value)| (*id, (**value).clone_box()));
            Box::new(copied.collect())
        });
        Extensions { values }
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.values.as_ref().map_or(0, |values| values.len());
        f.debug_struct("Extensions")
            .field("values", &count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct User(String);

    #[test]
    fn a_value_comes_back_by_its_type() {
        let mut extensions = Extensions::default();
        assert!(extensions.is_empty());
        assert_eq!(extensions.get::<User>(), None);
        extensions.insert(User("alice".into()));
        extensions.insert(7_u32);
        assert_eq!(extensions.get::<User>(), Some(&User("alice".into())));
        assert_eq!(extensions.get::<u32>(), Some(&7));
        let copy = extensions.clone();
        extensions.insert(User("bob".into()));
        assert_eq!(copy.get::<User>(), Some(&User("alice".into())));
        assert_eq!(extensions.get::<User>(), Some(&User("bob".into())));
    }
}
