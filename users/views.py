from api.viewsets import ServiceViewSet
from users import services
from users.filters import UserFilter
from users.models import User
from users.serializers import UserCreateSerializer, UserSerializer


class UserViewSet(ServiceViewSet):
    administrators_only = True
    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ["name", "email"]
    ordering_fields = ["id", "name", "email", "created_at"]

    @property
    def input_serializer_class(self):
        return UserCreateSerializer if self.action == "create" else UserSerializer

    def create_object(self, data):
        return services.user_create(**data)

    def update_object(self, instance, data):
        return services.user_update(user=instance, **data)

    def destroy_object(self, instance):
        services.user_delete(user=instance, acting_user=self.request.user)
